/** One hand-out of secret values to a worker. */
export interface IssuedSecret {
  jobId: string;
  at: string;
  source: 'PollForJobs' | 'GetJobDetails';
  kind: 'artifactCredentials' | 'secretConfiguration';
  values: string[];
}

export interface SecretsView {
  /** Every distinct secret value handed out, for grepping logs. */
  values: string[];
  issued: IssuedSecret[];
}

/**
 * Remembers every secret the emulator hands out (artifact credentials, `secret`
 * configuration values), so a test can assert that none of them reached a log line.
 */
export class SecretLedger {
  private readonly issued: IssuedSecret[] = [];

  record(entry: IssuedSecret): void {
    if (entry.values.length > 0) this.issued.push(entry);
  }

  view(): SecretsView {
    const values = new Set(this.issued.flatMap((entry) => entry.values));
    return { values: [...values], issued: this.issued.map((entry) => ({ ...entry })) };
  }

  reset(): void {
    this.issued.length = 0;
  }
}
