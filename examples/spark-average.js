// Spark's seed example:
//   spark.createDataFrame([(i, i*2) for i in range(1000)], ["id", "value"]).agg({"value": "avg"}).collect()
export default async function sparkAverage(cluster) {
  const rows = Array.from({ length: 1000 }, (_, i) => [i, i * 2]);
  const df = cluster.createDataFrame(rows, ['id', 'value']);
  return df.agg({ value: 'avg' }).collect(); // [{ 'avg(value)': 999 }]
}
