#!/usr/bin/env node
// Validate JSON files against a JSON Schema with Ajv, for make check.
//   node validate.js sarif FILE...          the SARIF 2.1.0 schema (draft-04), as
//                                           @microsoft/jest-sarif ships it
//   node validate.js schema SCHEMA FILE...  a draft 2020-12 schema of our own
// Prints one line per invalid file with Ajv's errors; exit 0 all valid, 1 one is
// not, 2 usage or a file that is not JSON.
'use strict';
const fs = require('fs');
const path = require('path');
const addFormats = require('ajv-formats');

const SARIF = path.join(__dirname, 'node_modules', '@microsoft', 'jest-sarif', 'lib',
	'schemas', 'sarif-2.1.0-rtm.5.json');

function readJson(file) {
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch (e) {
		console.error(`${file}: ${e.message}`);
		process.exit(2);
	}
}

function main(argv) {
	let ajv, schema, files;
	if (argv[0] === 'sarif' && argv.length > 1) {
		const Ajv04 = require('ajv-draft-04');
		// The schema's language pattern is not valid with the u flag.
		ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
		schema = readJson(SARIF);
		files = argv.slice(1);
	} else if (argv[0] === 'schema' && argv.length > 2) {
		const Ajv2020 = require('ajv/dist/2020');
		// strictRequired would refuse "required" inside if/then.
		ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
		schema = readJson(argv[1]);
		files = argv.slice(2);
	} else {
		console.error('usage: validate.js sarif FILE... | validate.js schema SCHEMA FILE...');
		return 2;
	}
	addFormats(ajv);
	const check = ajv.compile(schema);
	let bad = 0;
	for (const f of files) {
		if (check(readJson(f)))
			continue;
		bad++;
		console.log(`${f}: ${ajv.errorsText(check.errors, { separator: '; ' })}`);
	}
	return bad ? 1 : 0;
}

process.exit(main(process.argv.slice(2)));
