#!/usr/bin/env node
import { buildExamplesApp } from './app-builder';

// `npx cdk synth` runs this file (see cdk.json): one stack per example scenario.
buildExamplesApp().app.synth();
