import { ADMIN_KEY, type TestApp } from '../test-app.js';

/** Requests with the admin API key. */
export function admin(t: TestApp) {
  return {
    get: (path: string) => t.http.get(path).set('x-api-key', ADMIN_KEY),
    post: (path: string) => t.http.post(path).set('x-api-key', ADMIN_KEY),
    put: (path: string) => t.http.put(path).set('x-api-key', ADMIN_KEY),
    delete: (path: string) => t.http.delete(path).set('x-api-key', ADMIN_KEY),
  };
}
