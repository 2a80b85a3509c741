import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { apiErrors } from './protocol.js';

export interface SigV4Settings {
  /** The signing name the credential scope must carry. */
  service: string;
  /** Known access key id -> secret access key: signatures made with these are verified. */
  credentials: ReadonlyMap<string, string>;
  /** Refuse access keys that are not in `credentials` (UnrecognizedClientException). */
  strict: boolean;
  /** How far X-Amz-Date may be from real time. */
  maxClockSkewMs: number;
  /** Real time (not the emulator's job clock: SDKs sign with the wall clock). */
  now: () => number;
}

export interface RequestToVerify {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

interface Authorization {
  algorithm: string;
  credential: string;
  signedHeaders: string;
  signature: string;
  amzDate: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) =>
  createHmac('sha256', key).update(data).digest();
const rfc3986 = (value: string) =>
  encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

function headerMap(rawHeaders: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    map.set(name, [...(map.get(name) ?? []), rawHeaders[i + 1] ?? '']);
  }
  return map;
}

function fromHeader(header: string, headers: Map<string, string[]>): Authorization {
  const [algorithm = '', ...rest] = header.trim().split(/\s+/);
  const params = new Map<string, string>();
  for (const part of rest.join(' ').split(',')) {
    const [key = '', ...value] = part.trim().split('=');
    if (key) params.set(key, value.join('='));
  }
  const amzDate = headers.get('x-amz-date')?.[0] ?? headers.get('date')?.[0];
  let missing = '';
  for (const name of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!params.get(name)) missing += `Authorization header requires '${name}' parameter. `;
  }
  if (amzDate === undefined) {
    missing +=
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (missing) throw apiErrors.incompleteSignature(`${missing}Authorization=${header}`);
  return {
    algorithm,
    credential: params.get('Credential') ?? '',
    signedHeaders: params.get('SignedHeaders') ?? '',
    signature: params.get('Signature') ?? '',
    amzDate: amzDate ?? '',
  };
}

function fromQuery(query: URLSearchParams): Authorization {
  const names = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders'];
  const missing = [...names, 'X-Amz-Date']
    .filter((name) => !query.get(name))
    .map((name) => `AWS query-string parameters must include '${name}'. `)
    .join('');
  if (missing)
    throw apiErrors.incompleteSignature(`${missing}Re-examine the query-string parameters.`);
  return {
    algorithm: query.get('X-Amz-Algorithm') ?? '',
    credential: query.get('X-Amz-Credential') ?? '',
    signedHeaders: query.get('X-Amz-SignedHeaders') ?? '',
    signature: query.get('X-Amz-Signature') ?? '',
    amzDate: query.get('X-Amz-Date') ?? '',
  };
}

function basicIso(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function checkDate(amzDate: string, settings: SigV4Settings): void {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) {
    throw apiErrors.incompleteSignature(
      `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  const n = (i: number) => Number(m[i]);
  const signedAt = Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6));
  const now = settings.now();
  const skew = settings.maxClockSkewMs;
  const minutes = `${Math.round(skew / 60_000)} min.`;
  if (signedAt < now - skew) {
    throw apiErrors.invalidSignature(
      `Signature expired: ${amzDate} is now earlier than ${basicIso(now - skew)} (${basicIso(now)} - ${minutes})`,
    );
  }
  if (signedAt > now + skew) {
    throw apiErrors.invalidSignature(
      `Signature not yet current: ${amzDate} is still later than ${basicIso(now + skew)} (${basicIso(now)} + ${minutes})`,
    );
  }
}

function checkScope(auth: Authorization, settings: SigV4Settings): string[] {
  if (auth.algorithm !== ALGORITHM) {
    throw apiErrors.incompleteSignature(
      `Unsupported AWS 'algorithm': '${auth.algorithm}' (only ${ALGORITHM} for now). `,
    );
  }
  const parts = auth.credential.replace(/\/+$/, '').split('/');
  if (parts.length !== 5) {
    throw apiErrors.incompleteSignature(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${auth.credential}'`,
    );
  }
  const [, date = '', region = '', service = '', terminator = ''] = parts;
  let problems = '';
  if (!/^[a-z0-9-]+$/.test(region)) {
    problems += `Credential should be scoped to a valid region, not '${region}'. `;
  }
  if (service !== settings.service) {
    problems += `Credential should be scoped to correct service: '${settings.service}'. `;
  }
  if (terminator !== 'aws4_request') {
    problems += `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `;
  }
  if (date !== auth.amzDate.slice(0, 8)) {
    problems += `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${date}' != '${auth.amzDate.slice(0, 8)}', from '${auth.amzDate}'.`;
  }
  if (problems) throw apiErrors.invalidSignature(problems.trim());
  return parts;
}

function canonicalRequest(
  request: RequestToVerify,
  headers: Map<string, string[]>,
  signedHeaders: string,
): string {
  const [path = '/', search = ''] = request.url.split('?', 2);
  const uri = path.split('/').map(rfc3986).join('/') || '/';
  const query = [...new URLSearchParams(search)]
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [rfc3986(key), rfc3986(value)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((name) => {
      const values = (headers.get(name) ?? []).map((v) => v.trim().replace(/\s+/g, ' '));
      return `${name}:${values.join(',')}\n`;
    })
    .join('');
  // The body's own hash, never a client-sent x-amz-content-sha256: a changed body must fail.
  const payloadHash = sha256(request.body);
  return [request.method, uri, query, canonicalHeaders, signedHeaders, payloadHash].join('\n');
}

/**
 * Checks a request's SigV4 authentication the way AWS's request layer does: presence,
 * completeness, date format and skew, signed Host, credential scope; then, for an access key
 * in `settings.credentials`, the signature itself. Throws the ApiError AWS would answer.
 * @returns the access key id and whether its signature was verified
 */
export function verifySigV4(
  request: RequestToVerify,
  settings: SigV4Settings,
): { accessKeyId: string; verified: boolean } {
  const headers = headerMap(request.rawHeaders);
  const query = new URLSearchParams(request.url.split('?', 2)[1] ?? '');
  const header = headers.get('authorization')?.[0];
  const inQuery = query.has('X-Amz-Algorithm');
  if (header !== undefined && inQuery) {
    throw apiErrors.invalidSignature(
      "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    );
  }
  if ((header === undefined && !inQuery) || (header && !header.trim().startsWith('AWS4-'))) {
    throw apiErrors.missingToken();
  }
  const auth = header !== undefined ? fromHeader(header, headers) : fromQuery(query);
  checkDate(auth.amzDate, settings);
  if (!auth.signedHeaders.split(';').includes('host')) {
    throw apiErrors.invalidSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const [accessKeyId = '', date = '', region = '', service = ''] = checkScope(auth, settings);
  const secret = settings.credentials.get(accessKeyId);
  if (secret === undefined) {
    if (settings.strict) throw apiErrors.unrecognizedClient();
    return { accessKeyId, verified: false };
  }
  const canonical = canonicalRequest(request, headers, auth.signedHeaders);
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, auth.amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${secret}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = Buffer.from(createHmac('sha256', key).update(stringToSign).digest('hex'));
  const given = Buffer.from(auth.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw apiErrors.invalidSignature(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.' +
        `\n\nThe Canonical String for this request should have been\n'${canonical}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`,
    );
  }
  return { accessKeyId, verified: true };
}
