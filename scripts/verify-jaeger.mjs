#!/usr/bin/env node
// Checks that retried Claude API calls reached Jaeger with one span per attempt.
// Run after `docker compose up -d` and `npm start`; `node scripts/verify-jaeger.mjs --help` for options.
// Plain Node >= 22, no dependencies; the logic lives in ./jaeger-check.mjs.
import { run } from './jaeger-check.mjs';

process.exitCode = await run(process.argv.slice(2), { env: process.env });
