/**
 * The AWS services a local run can stand in for, and how a request names the service it is
 * for: the JSON protocols' `X-Amz-Target` prefix, or the signing name of the request's
 * credential scope. The variable of a service is the SDK's own rule: `AWS_ENDPOINT_URL_` and
 * its service id, upper-cased, spaces as underscores.
 */

/** A service whose calls a stand-in handler can answer (an AWS JSON protocol). */
export interface StandInService {
  /** The key of its handlers in `standIns`. */
  readonly key: string;
  /** The SDK's service id (`Secrets Manager`). */
  readonly serviceId: string;
  /** The first part of `X-Amz-Target`, before the operation. */
  readonly targetPrefix: string;
  readonly protocol: 'awsJson1_0' | 'awsJson1_1';
  /** The SigV4 signing name, which names it in the credential scope. */
  readonly signingName: string;
  /** Its SDK v3 client package. */
  readonly client: string;
}

/** Every service a stand-in can answer, from the SDK clients' own metadata. */
export const STAND_IN_SERVICES: readonly StandInService[] = [
  {
    key: 'codebuild',
    serviceId: 'CodeBuild',
    targetPrefix: 'CodeBuild_20161006',
    protocol: 'awsJson1_1',
    signingName: 'codebuild',
    client: '@aws-sdk/client-codebuild',
  },
  {
    key: 'sfn',
    serviceId: 'SFN',
    targetPrefix: 'AWSStepFunctions',
    protocol: 'awsJson1_0',
    signingName: 'states',
    client: '@aws-sdk/client-sfn',
  },
  {
    key: 'ecs',
    serviceId: 'ECS',
    targetPrefix: 'AmazonEC2ContainerServiceV20141113',
    protocol: 'awsJson1_1',
    signingName: 'ecs',
    client: '@aws-sdk/client-ecs',
  },
  {
    key: 'ssm',
    serviceId: 'SSM',
    targetPrefix: 'AmazonSSM',
    protocol: 'awsJson1_1',
    signingName: 'ssm',
    client: '@aws-sdk/client-ssm',
  },
  {
    key: 'secretsManager',
    serviceId: 'Secrets Manager',
    targetPrefix: 'secretsmanager',
    protocol: 'awsJson1_1',
    signingName: 'secretsmanager',
    client: '@aws-sdk/client-secrets-manager',
  },
];

/** The keys `standIns` accepts. */
export const STAND_IN_KEYS: readonly string[] = STAND_IN_SERVICES.map((service) => service.key);

/**
 * Services a local run cannot stand in for (other protocols), by signing name: only to name
 * them, and their variable, when a call to one is refused.
 */
const OTHER_SERVICES: Readonly<Record<string, { serviceId: string; protocol: string }>> = {
  sts: { serviceId: 'STS', protocol: 'query' },
  sns: { serviceId: 'SNS', protocol: 'query' },
  cloudformation: { serviceId: 'CloudFormation', protocol: 'query' },
  lambda: { serviceId: 'Lambda', protocol: 'REST JSON' },
  s3: { serviceId: 'S3', protocol: 'REST XML' },
  sqs: { serviceId: 'SQS', protocol: 'JSON' },
  kms: { serviceId: 'KMS', protocol: 'JSON' },
  logs: { serviceId: 'CloudWatch Logs', protocol: 'JSON' },
  events: { serviceId: 'EventBridge', protocol: 'JSON' },
  ecr: { serviceId: 'ECR', protocol: 'JSON' },
};

/**
 * The variable that points one service's SDK clients at an endpoint, by the SDK's rule.
 *
 * @param serviceId - the SDK's service id (`Secrets Manager`)
 */
export function endpointVariable(serviceId: string): string {
  return ['AWS_ENDPOINT_URL', ...serviceId.split(' ').map((word) => word.toUpperCase())].join('_');
}

/** The stand-in service an `X-Amz-Target` prefix names, if any. */
export function serviceByTarget(prefix: string): StandInService | undefined {
  return STAND_IN_SERVICES.find((service) => service.targetPrefix === prefix);
}

/** What is known of the service a signing name names: its service id and protocol. */
export function describeSigningName(
  signingName: string,
): { serviceId: string; protocol: string; standIn?: StandInService } | undefined {
  const standIn = STAND_IN_SERVICES.find((service) => service.signingName === signingName);
  if (standIn) return { serviceId: standIn.serviceId, protocol: standIn.protocol, standIn };
  return OTHER_SERVICES[signingName];
}
