// The JSON API. The admin token, when one is needed, is typed into the page and kept in this
// tab's sessionStorage: never in a URL, never in a cookie (so another site cannot make the
// browser send it), gone when the tab closes.

const TOKEN_KEY = 'novi.adminToken';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An error answer: its status, the server's message, and the field it concerns if any. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `the server answered ${status}`);
    this.status = status;
    this.body = body || {};
    this.field = this.body.field || null;
  }
}

/** Headers for a call: the token, when there is one. */
export function authHeaders(extra = {}) {
  const headers = { Accept: 'application/json', ...extra };
  const value = token.get();
  if (value) headers.Authorization = `Bearer ${value}`;
  return headers;
}

/** Calls the API; resolves to the parsed JSON body, rejects with ApiError. */
export async function call(method, path, body) {
  const init = { method, headers: authHeaders(), cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (cause) {
    throw new ApiError(0, { error: `the server cannot be reached (${cause.message})` });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { error: text }; }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path) => call('GET', path);

/** The path of a flag: its name percent-encoded as one segment. */
export const flagPath = (name) => `/flags/${encodeURIComponent(name)}`;
