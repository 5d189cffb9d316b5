#!/usr/bin/env node
import { runEngineMain } from '@pdserve/serving';

/** The decode service: one engine instance in the 'decode' role (settings: --help). */
await runEngineMain('decode');
