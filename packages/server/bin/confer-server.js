#!/usr/bin/env node
// `npx confer-server`: the reference server with HOST, PORT and the CONFER_* variables of the README.
import '../dist/main.js';
