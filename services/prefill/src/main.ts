#!/usr/bin/env node
import { runEngineMain } from '@pdserve/serving';

/** The prefill service: one engine instance in the 'prefill' role (settings: --help). */
await runEngineMain('prefill');
