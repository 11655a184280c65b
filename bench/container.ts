/** The container's memory settings (Dockerfile: NODE_OPTIONS, MALLOC_ARENA_MAX), so the bench measures the service as it ships. */
export const CONTAINER_NODE_OPTIONS = '--max-old-space-size=96 --max-semi-space-size=2';
export const CONTAINER_ENV = { MALLOC_ARENA_MAX: '2' };
