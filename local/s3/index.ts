/**
 * The local S3 stand-in: s3rver in-process, with a record of every request and of how each
 * upload asked to be encrypted. Imports nothing from `lambda/`.
 */
export { lastWrite, type S3Operation, type S3Request } from './requests.js';
export type { RunningS3Server, S3Credentials, S3ServerOptions } from './server.js';
export { startS3Server } from './server.js';
