// Metrics as the configuration asks: recorded only when someone can read them (METRICS_PORT or
// METRICS_TOKEN), with Redis commands and Postgres queries timed on the app's own clients.

import type { DataSource } from 'typeorm';
import type { MetricsSettings } from '../config.ts';
import type { RedisClient } from '../db/redis.ts';
import { type Metrics, NO_METRICS } from './metrics.ts';
import { PrometheusMetrics } from './prometheus.ts';
import { timePostgresQueries, timeRedisCommands } from './store-metrics.ts';

export function metricsEnabled(settings: MetricsSettings): boolean {
  return settings.port !== undefined || settings.token !== undefined;
}

export function createMetrics(
  settings: MetricsSettings,
  stores: { redis: RedisClient; db: DataSource },
): Metrics {
  if (!metricsEnabled(settings)) return NO_METRICS;
  const metrics = new PrometheusMetrics();
  timeRedisCommands(stores.redis, metrics);
  timePostgresQueries(stores.db, metrics);
  return metrics;
}
