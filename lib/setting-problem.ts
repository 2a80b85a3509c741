/** A value the construct cannot deploy as given: the prop it came from, and why. */
export interface SettingProblem {
  /** The prop (as named in `CustomActionJobWorkerProps`). */
  readonly setting: string;
  /** Reads after the setting's name: "must be ... (got ...)". */
  readonly problem: string;
}
