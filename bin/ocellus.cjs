#!/usr/bin/env node
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const entry = path.join(__dirname, '..', 'out', 'main', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('ocellus: the CLI is not built yet; run `npm run build` first\n');
  process.exit(1);
}
require(entry);
