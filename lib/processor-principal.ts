import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/**
 * The worker function's role as the processor's grants see it: what is granted to it lands
 * in a policy of its own (`ProcessorPolicy`, created on the first statement) rather than in
 * the role's default policy, which holds the worker's own statements and their acknowledged
 * cdk-nag findings. A wildcard the user grants is therefore reported by cdk-nag in the
 * user's stack, where it can be fixed or acknowledged, instead of being covered by the
 * worker's own acknowledgement.
 */
export class ProcessorPrincipal extends Construct implements iam.IPrincipal {
  public readonly grantPrincipal: iam.IPrincipal = this;
  public readonly assumeRoleAction: string;
  public readonly principalAccount: string | undefined;
  private policy?: iam.Policy;

  /**
   * @param scope - the worker
   * @param id - the construct id
   * @param role - the function's role
   * @param fn - the function, which must not run before the policy is attached
   */
  constructor(
    scope: Construct,
    id: string,
    private readonly role: iam.Role,
    private readonly fn: lambda.IFunction,
  ) {
    super(scope, id);
    this.assumeRoleAction = role.assumeRoleAction;
    this.principalAccount = role.principalAccount;
  }

  public get policyFragment(): iam.PrincipalPolicyFragment {
    return this.role.policyFragment;
  }

  /** The policy holding the processor's statements; undefined until one is added. */
  public get processorPolicy(): iam.Policy | undefined {
    return this.policy;
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (this.policy === undefined) {
      this.policy = new iam.Policy(this, 'Policy', { roles: [this.role] });
      this.fn.node.addDependency(this.policy);
    }
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}
