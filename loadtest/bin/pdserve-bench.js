#!/usr/bin/env node
// The pdserve-bench command: a committed shim so that npm links the bin before the first build.
import '../dist/main.js';
