import { Annotations, Token } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type { Construct, IConstruct } from 'constructs';
import { OUTPUT_VARIABLE_NAME, QUERY_VALUE_PATTERN } from '../lambda/contract.js';
import { type ActionTypeIdentity, type ArtifactBounds, actionTypeLabel } from './action-type.js';
import { closest } from './did-you-mean.js';
import type { SettingProblem } from './setting-problem.js';

/**
 * An action of a worker's custom action type in a CodePipeline pipeline, as
 * `CustomActionJobWorker.action(...)` takes it.
 */
export interface JobWorkerActionProps extends codepipeline.CommonActionProps {
  /**
   * The one input artifact, for an action type that takes one. Give `input` or `inputs`, not
   * both.
   *
   * @default - no input artifact
   */
  readonly input?: codepipeline.Artifact;
  /**
   * The input artifacts, as many as the action type's `minInputArtifacts` to
   * `maxInputArtifacts`.
   *
   * @default - no input artifact
   */
  readonly inputs?: codepipeline.Artifact[];
  /**
   * The output artifacts, as many as the action type's `minOutputArtifacts` to
   * `maxOutputArtifacts`.
   *
   * @default - no output artifact
   */
  readonly outputs?: codepipeline.Artifact[];
  /**
   * The action's configuration: a value for each of the type's configuration properties that
   * is required, and for any optional one. A secret property takes a reference that
   * CloudFormation resolves at deploy time (a token, such as
   * `SecretValue.secretsManager('name').unsafeUnwrap()`), never plain text. A queryable
   * property may be left out: it takes the value the worker polls for (`queryParam`).
   *
   * @default - no configuration
   */
  readonly configuration?: Readonly<Record<string, string>>;
}

/** What an action needs to know of its worker's action type. */
export interface JobWorkerActionType {
  readonly identity: ActionTypeIdentity;
  readonly properties: readonly codepipeline.CustomActionProperty[];
  readonly bounds: ArtifactBounds;
  readonly queryParam?: Readonly<Record<string, string>>;
  /** The action type's registration, which a pipeline must wait for. */
  readonly registration?: IConstruct;
  /** The worker's construct path, for messages. */
  readonly worker: string;
}

/**
 * An action of a custom action type whose job worker is a `CustomActionJobWorker`: an
 * `IAction` that `codepipeline.Pipeline` accepts. Its configuration and artifacts are checked
 * against the action type when it is added to a pipeline; each problem is an error of
 * `cdk synth`, one line each, all of them at once. The pipeline depends on the action type's
 * registration, so one deployment creates the type before the pipeline that uses it.
 *
 * @example
 * const scan = worker.action({
 *   actionName: 'Scan',
 *   input: sourceOutput,
 *   outputs: [findings],
 *   configuration: { MaxSizeMB: '50' },
 *   variablesNamespace: 'Scan',
 * });
 * pipeline.addStage({ stageName: 'Test', actions: [scan] });
 */
export class JobWorkerAction extends codepipeline.Action {
  protected readonly providedActionProperties: codepipeline.ActionProperties;
  private readonly configuration: Readonly<Record<string, string>>;
  private readonly problems: SettingProblem[];
  private readonly registration?: IConstruct;
  /** Where problems are reported, once the action is in a pipeline. */
  private scope?: Construct;

  /**
   * @param type - the worker's action type
   * @param props - the action
   */
  constructor(type: JobWorkerActionType, props: JobWorkerActionProps) {
    super();
    const inputs = props.inputs ?? (props.input ? [props.input] : []);
    const outputs = props.outputs ?? [];
    this.configuration = withPolledValue(props.configuration ?? {}, type.queryParam);
    this.problems = [
      ...unknownProps(props),
      ...(props.input && props.inputs
        ? [{ setting: 'input', problem: 'must not be given with inputs: give one of them' }]
        : []),
      ...configurationProblems(this.configuration, type),
      ...countProblems(inputs.length, outputs.length, type),
    ];
    this.registration = type.registration;
    const { identity } = type;
    this.providedActionProperties = {
      actionName: props.actionName,
      runOrder: props.runOrder,
      variablesNamespace: props.variablesNamespace,
      owner: identity.owner,
      category: identity.category,
      provider: identity.provider,
      version: identity.version,
      inputs,
      outputs,
      // Counts out of bounds are reported above, with every other problem; the pipeline's own
      // check of them would throw first and hide the rest.
      artifactBounds: widened(type.bounds, inputs.length, outputs.length),
    };
  }

  /**
   * The expression of one of the action's output variables (`#{Namespace.Name}`), for another
   * action's configuration. The action gets a namespace of its own when it has none
   * (`Stage_Action_NS`), as CodePipeline requires for a variable to be read.
   *
   * @param name - the variable, as the processor names it in its `success` outcome
   * @example
   * approve = new ManualApprovalAction({
   *   actionName: 'Approve',
   *   additionalInformation: `Findings: ${scan.variable('Findings')}`,
   * });
   */
  public variable(name: string): string {
    if (!OUTPUT_VARIABLE_NAME.test(name)) {
      this.addProblem({
        setting: 'variable',
        problem: `name ${JSON.stringify(name)} is not one a processor can return: use only letters, digits and @ - _`,
      });
    }
    return this.variableExpression(name);
  }

  protected bound(
    scope: Construct,
    stage: codepipeline.IStage,
    _options: codepipeline.ActionBindOptions,
  ): codepipeline.ActionConfig {
    this.scope = scope;
    for (const problem of this.problems) this.report(problem);
    // CodePipeline refuses a pipeline whose action type does not exist yet.
    if (this.registration) {
      const { pipeline } = stage;
      (pipeline.node.defaultChild ?? pipeline).node.addDependency(this.registration);
    }
    return { configuration: this.configuration };
  }

  /** Reported now when the action is in a pipeline, or when it is added to one. */
  private addProblem(problem: SettingProblem): void {
    this.problems.push(problem);
    if (this.scope) this.report(problem);
  }

  private report({ setting, problem }: SettingProblem): void {
    if (this.scope) Annotations.of(this.scope).addError(`${setting} ${problem}`);
  }
}

const ACTION_PROPS: readonly (keyof JobWorkerActionProps)[] = [
  'actionName',
  'runOrder',
  'variablesNamespace',
  'input',
  'inputs',
  'outputs',
  'configuration',
];

/** A misspelt prop would be dropped without a word by an app that tsx runs unchecked. */
function unknownProps(props: JobWorkerActionProps): SettingProblem[] {
  return Object.keys(props)
    .filter((name) => !(ACTION_PROPS as readonly string[]).includes(name))
    .map((name) => {
      const guess = closest(name, ACTION_PROPS);
      return {
        setting: name,
        problem: `is not a prop of an action (${ACTION_PROPS.join(', ')})${guess ? `: did you mean '${guess}'?` : ''}`,
      };
    });
}

/** The queryable property, when left out, is the value the worker polls for. */
function withPolledValue(
  configuration: Readonly<Record<string, string>>,
  queryParam: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> {
  const [polled] = Object.entries(queryParam ?? {});
  if (!polled || configuration[polled[0]] !== undefined) return configuration;
  return { ...configuration, [polled[0]]: polled[1] };
}

function configurationProblems(
  configuration: Readonly<Record<string, string>>,
  type: JobWorkerActionType,
): SettingProblem[] {
  const label = actionTypeLabel(type.identity);
  const names = type.properties.map((property) => property.name);
  const problems: string[] = [];
  for (const property of type.properties) {
    if (property.required && configuration[property.name] === undefined) {
      problems.push(`must give '${property.name}', a required property of ${label}`);
    }
  }
  for (const [name, value] of Object.entries(configuration)) {
    const property = type.properties.find((p) => p.name === name);
    if (!property) {
      const guess = closest(name, names);
      problems.push(
        `property '${name}' is not one of ${label}'s (${names.join(', ') || 'it has none'})${guess ? `: did you mean '${guess}'?` : ''}`,
      );
      continue;
    }
    if (property.secret && isPlainText(value)) {
      problems.push(
        `property '${name}' is secret but given as plain text, which would be written into the CloudFormation template (cdk.out and the deployed stack's template): give a reference that CloudFormation resolves at deploy time instead, such as SecretValue.secretsManager('secret-name').unsafeUnwrap() or '{{resolve:secretsmanager:secret-name}}'`,
      );
    }
    if (property.queryable && !Token.isUnresolved(value)) {
      problems.push(...queryableProblems(name, value, type));
    }
  }
  return problems.map((problem) => ({ setting: 'configuration', problem }));
}

/** Neither a token nor a CloudFormation dynamic reference: the value itself. */
function isPlainText(value: string): boolean {
  return !Token.isUnresolved(value) && !value.includes('{{resolve:');
}

function queryableProblems(name: string, value: string, type: JobWorkerActionType): string[] {
  if (!QUERY_VALUE_PATTERN.test(value)) {
    return [
      `property '${name}' is queryable, so CodePipeline takes 1-20 characters of [A-Za-z0-9_-] for it (got ${JSON.stringify(value)})`,
    ];
  }
  const polled = type.queryParam?.[name];
  return polled !== undefined && polled !== value
    ? [
        `property '${name}' must be '${polled}', the value ${type.worker} polls for (got '${value}'): no job of this action would reach it`,
      ]
    : [];
}

function countProblems(
  inputs: number,
  outputs: number,
  type: JobWorkerActionType,
): SettingProblem[] {
  const label = actionTypeLabel(type.identity);
  const { bounds } = type;
  const checks: [string, number, number, number][] = [
    ['inputs', inputs, bounds.minInputs, bounds.maxInputs],
    ['outputs', outputs, bounds.minOutputs, bounds.maxOutputs],
  ];
  return checks
    .filter(([, count, min, max]) => count < min || count > max)
    .map(([setting, count, min, max]) => ({
      setting,
      problem: `must hold ${min === max ? min : `${min} to ${max}`} artifacts, as ${label} takes (got ${count})`,
    }));
}

function widened(bounds: ArtifactBounds, inputs: number, outputs: number): ArtifactBounds {
  return {
    minInputs: Math.min(bounds.minInputs, inputs),
    maxInputs: Math.max(bounds.maxInputs, inputs),
    minOutputs: Math.min(bounds.minOutputs, outputs),
    maxOutputs: Math.max(bounds.maxOutputs, outputs),
  };
}
