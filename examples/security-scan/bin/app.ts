#!/usr/bin/env node
/**
 * The CDK app: the SecurityScan custom action with its job worker, and a pipeline that uses it.
 */
import { App } from 'aws-cdk-lib';
import { securityScanStacks } from '../src/stacks.js';

securityScanStacks(new App());
