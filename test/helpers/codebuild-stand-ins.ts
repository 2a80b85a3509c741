/** A stand-ins module, as a jobs file's `standIns` or `--stand-ins` names one. */
import { codeBuildStandIns } from './codebuild-runner.js';

export default codeBuildStandIns;
