import * as http from 'node:http';

/** What a stranger's send may carry besides the address. */
export interface StrangerSend {
  /** The loopback address the request leaves from; 127.0.0.2 unless given. */
  from?: string;
  request_id?: string;
  proof?: { challenge: string; nonce: number };
}

/**
 * Someone else, on another machine: asks the service for a code for an
 * address that is not theirs. The request leaves from 127.0.0.2 (or
 * `from`), so the service sees a client other than the browser (which
 * uses 127.0.0.1).
 */
export function sendAsStranger(
  baseURL: string,
  email: string,
  { from = '127.0.0.2', ...rest }: StrangerSend = {},
): Promise<{ status: number; body: string }> {
  const payload = JSON.stringify({ email, ...rest });
  return new Promise((resolve, reject) => {
    const request = http.request(
      new URL('/api/otp/send', baseURL),
      {
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
