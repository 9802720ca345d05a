#!/usr/bin/env node
// The `gantry` command. It lives outside dist/ because npm links a package's bin at install time,
// before `prepare` has compiled dist/, and links nothing whose file does not exist yet.
import '../dist/cli/main.js';
