// The whole pipeline suite again on a real six-node Redis Cluster (three masters, three replicas)
// with QUEUE_PARTITIONS=8, for both transports: the same behaviour is asserted, with sharded
// Pub/Sub and one stream per partition underneath.
process.env.E2E_REDIS = 'cluster';
await import('./pipeline.test.js');
