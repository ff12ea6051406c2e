// Dask's seed example:
//   df[df.category == "electronics"].groupby("brand").price.mean().compute()
// The same as a Shoal DataFrame (PySpark's names), and as SQL over a temp view.
export default async function daskGroupby(cluster) {
  const { col } = cluster;
  const brands = ['acme', 'bolt', 'core', 'dyna'];
  const categories = ['electronics', 'toys', 'garden'];
  const rows = Array.from({ length: 100_000 }, (_, i) => ({
    category: categories[i % 3],
    brand: brands[(i * 7) % 4],
    price: 10 + ((i * 31) % 500) / 5,
  }));
  const df = cluster.createDataFrame(rows);
  const byApi = await df.filter(col('category').eq('electronics')).groupBy('brand').mean('price').orderBy('brand').collect();
  df.createOrReplaceTempView('sales');
  const bySql = await cluster.sql("SELECT brand, avg(price) AS mean_price FROM sales WHERE category = 'electronics' GROUP BY brand ORDER BY brand").collect();
  return { byApi, bySql };
}
