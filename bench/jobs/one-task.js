// The smallest useful job: one task, one result. Used to time cold start.
export default async (cluster) => cluster.get(cluster.remote((x) => x + 1)(41));
