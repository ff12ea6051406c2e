// Spark's seed pipeline: read Parquet, filter, group, aggregate, order, write Parquet.
//   spark.read.parquet(...).filter(df.category == "electronics").groupBy("brand")
//        .agg({"price": "avg", "quantity": "sum"}).orderBy("avg(price)", ascending=False)
//   result.write.parquet(...)
// It first makes its own dataset (4 Parquet files of sales) in the data folder
// (`shoal run --data DIR`, default ./data). Each worker reads and writes its own
// partitions straight from and to the server.
export default async function sparkParquet(cluster) {
  const { col } = cluster;
  const brands = ['acme', 'bolt', 'core', 'dyna', 'evo', 'flux'];
  const categories = ['electronics', 'toys', 'garden', 'books'];
  const N = 200_000;
  const sales = cluster.range(0, N, 1, { partitions: 4 }).select(
    col('id'),
    cluster.when(col('id').mod(4).eq(0), categories[0]).when(col('id').mod(4).eq(1), categories[1]).when(col('id').mod(4).eq(2), categories[2]).otherwise(categories[3]).alias('category'),
    cluster.when(col('id').mod(6).eq(0), brands[0]).when(col('id').mod(6).eq(1), brands[1]).when(col('id').mod(6).eq(2), brands[2]).when(col('id').mod(6).eq(3), brands[3]).when(col('id').mod(6).eq(4), brands[4]).otherwise(brands[5]).alias('brand'),
    col('id').mul(7919).mod(100000).div(100).add(5).alias('price'),
    col('id').mod(9).add(1).alias('quantity'),
  );
  await sales.write.mode('overwrite').parquet('examples/sales');

  const df = cluster.read.parquet('examples/sales/*.parquet');
  const result = df
    .filter(col('category').eq('electronics'))
    .groupBy('brand')
    .agg({ price: 'avg', quantity: 'sum' })
    .orderBy('avg(price)', { ascending: false });
  await result.write.mode('overwrite').parquet('examples/brand_summary');
  console.log(await result.explain());
  return cluster.read.parquet('examples/brand_summary').orderBy(col('avg(price)').desc()).collect();
}
