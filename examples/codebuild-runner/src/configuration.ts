/**
 * The action's configuration: its properties by name and the schema the processor parses them
 * with. Shared by the processor (which runs in Lambda) and the action type's declaration
 * (which the CDK app deploys); kept apart from `action.ts` so that the function's bundle does
 * not pull in aws-cdk-lib.
 */
import {
  json,
  optional,
  properties,
  type StandardSchemaV1,
  text,
} from 'codepipeline-job-worker/kit';

export const PROJECT_NAME_PROPERTY = 'ProjectName';
export const SOURCE_VERSION_PROPERTY = 'SourceVersion';
export const ENVIRONMENT_VARIABLES_PROPERTY = 'EnvironmentVariables';

/** CodeBuild's own rule for a project name. */
const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/;
/** A shell-safe variable name; CodeBuild keeps the `CODEBUILD_` prefix for its own. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_PREFIX = 'CODEBUILD_';

type Issue = StandardSchemaV1.Issue;

/**
 * Environment variables as a JSON object of names to strings (`{"STAGE":"test"}`): a Standard
 * Schema of its own, as any validator library would give, checked inside the kit's `json()`.
 * Its messages name the variable, never its value.
 */
const environmentVariables: StandardSchemaV1<unknown, Record<string, string>> = {
  '~standard': {
    version: 1,
    vendor: 'codebuild-runner',
    validate(value) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return { issues: [{ message: 'must be a JSON object of variable names to strings' }] };
      }
      const issues: Issue[] = Object.entries(value).flatMap(([name, each]): Issue[] => {
        if (!VARIABLE_NAME.test(name)) {
          return [{ message: 'must be a name of letters, digits and _', path: [name] }];
        }
        if (name.startsWith(RESERVED_PREFIX)) {
          return [{ message: `must not start with ${RESERVED_PREFIX}`, path: [name] }];
        }
        return typeof each === 'string' ? [] : [{ message: 'must be a string', path: [name] }];
      });
      return issues.length > 0 ? { issues } : { value: value as Record<string, string> };
    },
  },
};

/**
 * The configuration, parsed: `parseConfiguration(job, CONFIGURATION)` gives
 * `{ ProjectName: string; SourceVersion?: string; EnvironmentVariables?: Record<string, string> }`
 * or throws one `ConfigurationError` naming every problem.
 */
export const CONFIGURATION = properties({
  [PROJECT_NAME_PROPERTY]: text({
    pattern: PROJECT_NAME,
    describe: 'a CodeBuild project name (2-255 letters, digits, - and _)',
  }),
  [SOURCE_VERSION_PROPERTY]: optional(text()),
  [ENVIRONMENT_VARIABLES_PROPERTY]: optional(json(environmentVariables)),
});

/** The file of the output artifact: what a later action needs to know of the build. */
export const BUILD_FILE = 'build.json';
