#!/usr/bin/env node
import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 13:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  a: () => (/* binding */ runCli)
});

// UNUSED EXPORTS: USAGE

;// CONCATENATED MODULE: external "node:util"
const external_node_util_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");
;// CONCATENATED MODULE: ./packages/kit/logger.ts
const silentLogger = {
    debug: () => undefined,
    info: () => undefined,
    warning: () => undefined,
    error: () => undefined,
};
/** A logger that keeps what it was told, for tests that assert on warnings. */
function recordingLogger() {
    const records = [];
    const record = (level) => (message) => {
        records.push({ level, message });
    };
    return {
        records,
        debug: record('debug'),
        info: record('info'),
        warning: record('warning'),
        error: record('error'),
    };
}

;// CONCATENATED MODULE: ./packages/kit/errors.ts
/** Bad input: names the input, what is wrong and how to fix it, in one line. */
class errors_InputError extends Error {
    name = 'InputError';
    input;
    constructor(input, problem) {
        super(`input '${input}': ${problem}`);
        this.input = input;
    }
}
/** The message of anything thrown, without a stack; non-Error throws become text. */
function errorMessage(error) {
    // Errors from another realm (vm contexts, some Node internals) fail instanceof, so go by shape.
    if (typeof error === 'object' && error !== null && 'message' in error) {
        const { message } = error;
        if (typeof message === 'string')
            return message;
    }
    if (typeof error === 'string')
        return error;
    try {
        return JSON.stringify(error);
    }
    catch {
        return String(error);
    }
}
/** The one failure shape of the suite: `<action> failed: <what and how to fix>`, on one line. */
function failureLine(action, error) {
    return `${action} failed: ${errorMessage(error).replace(/\s*\n\s*/g, ' ')}`;
}

;// CONCATENATED MODULE: ./packages/kit/inputs.ts

/** Raw input values arrive as strings (GitHub trims them); these turn them into checked values. */
function requireInput(name, raw) {
    const value = raw.trim();
    if (value === '')
        throw new InputError(name, 'is required and was empty');
    return value;
}
const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);
function parseBooleanInput(name, raw, fallback) {
    const value = raw.trim().toLowerCase();
    if (value === '')
        return fallback;
    if (TRUE_WORDS.has(value))
        return true;
    if (FALSE_WORDS.has(value))
        return false;
    throw new InputError(name, `"${raw}" is not a boolean: use true or false`);
}
function parsePositiveIntegerInput(name, raw, fallback) {
    const value = raw.trim();
    if (value === '')
        return fallback;
    const number = Number(value);
    if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
        throw new InputError(name, `"${raw}" is not a positive whole number: use 1, 2, 3, ...`);
    }
    return number;
}
/** A list given one item per line or comma-separated (both are common in workflows). */
function parseListInput(raw) {
    return raw
        .split(/[\n,]/)
        .map((item) => item.trim())
        .filter((item) => item !== '');
}
// GitHub's own rules: owners are alphanumeric with inner hyphens; names add '.', '_'.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;
function parseRepositoryInput(name, raw) {
    const value = raw.trim();
    const parts = value.split('/');
    const [owner, repo] = parts;
    if (parts.length !== 2 ||
        !owner ||
        !repo ||
        !OWNER.test(owner) ||
        !NAME.test(repo) ||
        repo === '.' ||
        repo === '..') {
        throw new InputError(name, `"${raw}" is not a repository: use owner/name, e.g. octo-org/cms`);
    }
    return { owner, repo };
}
function parseShaInput(name, raw) {
    const value = raw.trim().toLowerCase();
    if (!/^[0-9a-f]{7,40}$/.test(value)) {
        throw new InputError(name, `"${raw}" is not a commit SHA: use 7 to 40 hexadecimal characters`);
    }
    return value;
}

;// CONCATENATED MODULE: ./packages/kit/index.ts





;// CONCATENATED MODULE: ./packages/version/index.ts
/**
 * Release version tags: parse, order and step them.
 *
 * A format is a template with exactly one `{n}` (default `v0.0.{n}`). A hotfix of release N is
 * `<format with N>-k` (k >= 1) and sorts after N and every lower hotfix of N, before N + 1. That is
 * deliberately NOT semver's prerelease order (semver puts `0.0.417-1` before `0.0.417`).
 *
 * Only canonical numbers count: `v0.0.07` and `v0.0.417-01` are ignored, because accepting them would
 * give two tag names the same place in the order and `07` is not a tag this suite ever writes.
 */
const DEFAULT_FORMAT = 'v0.0.{n}';
/** A placeholder-free problem with a template, prefix or tag; callers add the input name. */
class VersionError extends Error {
    name = 'VersionError';
}
const PLACEHOLDER = '{n}';
// Docker's tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
const TAG_CHARACTERS = /^[A-Za-z0-9_.-]*$/;
const MAX_TAG_LENGTH = 128;
// Git refuses these anywhere in a ref name (git-check-ref-format), so a prefix containing them can never be a tag.
const BAD_GIT_PREFIX = /(\.\.|[\s~^:?*[\\]|@\{|\/\/|^\/|\.lock\/|\/\.)/;
const NUMBER = '(0|[1-9][0-9]*)';
function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
function toSafeNumber(digits) {
    const value = Number(digits);
    return Number.isSafeInteger(value) ? value : undefined;
}
class VersionFormat {
    template;
    gitTagPrefix;
    head;
    tail;
    pattern;
    constructor(template, gitTagPrefix) {
        this.template = template;
        this.gitTagPrefix = gitTagPrefix;
        const at = template.indexOf(PLACEHOLDER);
        this.head = template.slice(0, at);
        this.tail = template.slice(at + PLACEHOLDER.length);
        this.pattern = new RegExp(`^${escapeRegExp(this.head)}${NUMBER}${escapeRegExp(this.tail)}(?:-([1-9][0-9]*))?$`);
    }
    /** Validates a template such as `v0.0.{n}` and an optional git-only tag prefix such as `cms/`. */
    static parse(template, gitTagPrefix = '') {
        const count = template.split(PLACEHOLDER).length - 1;
        if (count !== 1) {
            throw new VersionError(`"${template}" must contain {n} exactly once (found ${String(count)}), e.g. v0.0.{n}`);
        }
        const fixed = template.replace(PLACEHOLDER, '');
        if (!TAG_CHARACTERS.test(fixed) || /^[.-]/.test(template)) {
            throw new VersionError(`"${template}" may only hold letters, digits, '_', '.', '-' around {n} and must not start with '.' or '-', because it becomes an image tag`);
        }
        if (/-[0-9]*$/.test(template.slice(template.indexOf(PLACEHOLDER) + PLACEHOLDER.length))) {
            throw new VersionError(`"${template}" must not end in '-' or '-<digits>' after {n}: that is where hotfix numbers go`);
        }
        if (gitTagPrefix !== '' && BAD_GIT_PREFIX.test(gitTagPrefix)) {
            throw new VersionError(`"${gitTagPrefix}" is not a valid start of a git tag name`);
        }
        return new VersionFormat(template, gitTagPrefix);
    }
    /** The literal start every matching image tag shares; narrows tag listings (`v0.0.`). */
    get tagPrefix() {
        return this.head;
    }
    /** The literal start every matching git tag shares (`cms/v0.0.`). */
    get gitTagListPrefix() {
        return this.gitTagPrefix + this.head;
    }
    /** Parses an image tag; undefined for names of another shape (`latest`, `sha-abc`, `v0.0.07`). */
    parse(imageTag) {
        const match = this.pattern.exec(imageTag);
        if (!match?.[1])
            return undefined;
        const number = toSafeNumber(match[1]);
        const hotfix = match[2] === undefined ? 0 : toSafeNumber(match[2]);
        if (number === undefined || hotfix === undefined)
            return undefined;
        return { number, hotfix, tag: imageTag };
    }
    /** Parses a git tag name (with or without `refs/tags/`), requiring the git tag prefix. */
    parseGitTag(gitTag) {
        const name = gitTag.startsWith('refs/tags/') ? gitTag.slice('refs/tags/'.length) : gitTag;
        if (!name.startsWith(this.gitTagPrefix))
            return undefined;
        return this.parse(name.slice(this.gitTagPrefix.length));
    }
    /** Parses what a person typed: an image tag, or a git tag carrying the prefix. */
    parseEither(name) {
        return this.parse(name) ?? this.parseGitTag(name);
    }
    render(number, hotfix = 0) {
        if (!Number.isSafeInteger(number) || number < 0) {
            throw new VersionError(`release number ${String(number)} is not a whole number >= 0`);
        }
        if (!Number.isSafeInteger(hotfix) || hotfix < 0) {
            throw new VersionError(`hotfix number ${String(hotfix)} is not a whole number >= 0`);
        }
        const base = `${this.head}${String(number)}${this.tail}`;
        const tag = hotfix === 0 ? base : `${base}-${String(hotfix)}`;
        if (tag.length > MAX_TAG_LENGTH) {
            throw new VersionError(`"${tag}" is longer than the ${String(MAX_TAG_LENGTH)} characters an image tag may have`);
        }
        return { number, hotfix, tag };
    }
    gitTag(version) {
        return this.gitTagPrefix + version.tag;
    }
}
/** Numeric release order: by N, then hotfix k (a normal release is k = 0). */
function compareVersions(a, b) {
    return a.number - b.number || a.hotfix - b.hotfix;
}
/** Parses names (one source's tags), dropping those that do not match, oldest release first. */
function parseVersions(names, parse) {
    const versions = [];
    for (const name of names) {
        const version = parse(name);
        if (version)
            versions.push(version);
    }
    return versions.sort(compareVersions);
}
/** The newest version, or undefined for none. One pass: no sort needed to find a maximum. */
function latestVersion(versions) {
    let latest;
    for (const version of versions) {
        if (!latest || compareVersions(version, latest) > 0)
            latest = version;
    }
    return latest;
}
/** Next normal release: max N over every source + 1 (a hotfix counts as its base N). */
function nextVersion(format, versions, options = {}) {
    const startAt = options.startAt ?? 1;
    if (!Number.isSafeInteger(startAt) || startAt < 1) {
        throw new VersionError(`start number ${String(startAt)} is not a positive whole number`);
    }
    const latest = latestVersion(versions);
    return format.render(Math.max(latest ? latest.number + 1 : startAt, startAt));
}
/**
 * Next hotfix of a release: `<base>-(max k + 1)`. The base release must exist in `versions`, since a
 * hotfix of a release that never happened cannot be ordered against anything.
 */
function nextHotfix(format, versions, hotfixOf) {
    const requested = format.parseEither(hotfixOf);
    if (!requested) {
        throw new VersionError(`"${hotfixOf}" does not match the version format ${format.template}${format.gitTagPrefix ? ` (git tag prefix ${format.gitTagPrefix})` : ''}`);
    }
    let baseExists = false;
    let maxHotfix = 0;
    for (const version of versions) {
        if (version.number !== requested.number)
            continue;
        if (version.hotfix === 0)
            baseExists = true;
        maxHotfix = Math.max(maxHotfix, version.hotfix);
    }
    const base = format.render(requested.number);
    if (!baseExists) {
        throw new VersionError(`release ${base.tag} does not exist, so it cannot be hotfixed`);
    }
    return format.render(requested.number, maxHotfix + 1);
}

;// CONCATENATED MODULE: ./packages/cli/cli.ts



const USAGE = `gitops-release: release a containerised application the GitOps way, from a terminal.

Usage:
  gitops-release version sort [--format F] [--git-tag-prefix P]
      Reads tag names, one per line, on stdin; prints those that match the format, oldest
      release first (numeric order: v0.0.999 < v0.0.1000; v0.0.417 < v0.0.417-1 < v0.0.418).
  gitops-release version next [--format F] [--git-tag-prefix P] [--hotfix-of V] [--start-at N]
      Reads tag names on stdin; prints the next version: the highest N + 1, or with --hotfix-of
      the next hotfix V-k of release V (which must be among the tags).
  gitops-release --help

Options:
  --format F          Tag template with exactly one {n} (default ${DEFAULT_FORMAT}).
  --git-tag-prefix P  Prefix the git tags carry but image tags do not (e.g. cms/). Lines are
                      read as git tags when it is set, and printed as they were read.
  --hotfix-of V       Release to hotfix, e.g. v0.0.417.
  --start-at N        First N when no tag matches (default 1; also a floor).

Lines that do not match the format (latest, sha-abc, v0.0.07) are ignored.
Exit codes: 0 success, 1 bad input or failure.
`;
class UsageError extends Error {
}
function parseStartAt(raw) {
    if (raw === undefined)
        return 1;
    const value = Number(raw);
    if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
        throw new UsageError(`--start-at "${raw}" is not a positive whole number: use 1, 2, 3, ...`);
    }
    return value;
}
function formatOption(values) {
    try {
        return VersionFormat.parse(values.format ?? DEFAULT_FORMAT, values['git-tag-prefix'] ?? '');
    }
    catch (error) {
        const option = values.format !== undefined && errorMessage(error).includes('{n}')
            ? '--format'
            : '--format/--git-tag-prefix';
        throw new UsageError(`${option}: ${errorMessage(error)}`);
    }
}
async function versionCommand(command, args, io) {
    const { values, positionals } = (0,external_node_util_namespaceObject.parseArgs)({
        args,
        allowPositionals: true,
        options: {
            format: { type: 'string' },
            'git-tag-prefix': { type: 'string' },
            'hotfix-of': { type: 'string' },
            'start-at': { type: 'string' },
        },
    });
    if (positionals.length > 0)
        throw new UsageError(`unexpected argument "${positionals.join(' ')}"`);
    const format = formatOption(values);
    const lines = (await io.stdin()).split(/\r?\n/).map((line) => line.trim());
    const parse = (name) => format.gitTagPrefix === '' ? format.parse(name) : format.parseGitTag(name);
    if (command === 'sort') {
        if (values['hotfix-of'] !== undefined || values['start-at'] !== undefined) {
            throw new UsageError('--hotfix-of and --start-at belong to "version next"');
        }
        // Print each name as it was read, so git tags keep their prefix.
        const named = new Map();
        for (const line of lines) {
            const version = parse(line);
            if (version)
                named.set(version.tag, line);
        }
        const sorted = parseVersions(named.keys(), (tag) => format.parse(tag));
        io.stdout(sorted.map((version) => `${named.get(version.tag) ?? version.tag}\n`).join(''));
        return;
    }
    const versions = parseVersions(lines, parse);
    const hotfixOf = values['hotfix-of'];
    const next = hotfixOf === undefined
        ? nextVersion(format, versions, { startAt: parseStartAt(values['start-at']) })
        : nextHotfix(format, versions, hotfixOf);
    io.stdout(`${next.tag}\n`);
}
/** Runs one command line; returns the exit code. */
async function runCli(argv, io) {
    const [group, command, ...rest] = argv;
    try {
        if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
            io.stdout(USAGE);
            return group === undefined ? 1 : 0;
        }
        if (group !== 'version')
            throw new UsageError(`unknown command "${group}": see gitops-release --help`);
        if (command === '--help' || command === '-h') {
            io.stdout(USAGE);
            return 0;
        }
        if (command !== 'sort' && command !== 'next') {
            throw new UsageError(`unknown command "version ${command ?? ''}": use "version sort" or "version next"`);
        }
        if (rest.includes('--help') || rest.includes('-h')) {
            io.stdout(USAGE);
            return 0;
        }
        await versionCommand(command, rest, io);
        return 0;
    }
    catch (error) {
        io.stderr(`gitops-release: ${errorMessage(error)}\n`);
        return 1;
    }
}


/***/ }),

/***/ 655:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _cli_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(13);

async function readStdin() {
    // A terminal with nothing piped in would wait forever: treat it as no tags.
    if (process.stdin.isTTY)
        return '';
    const chunks = [];
    for await (const chunk of process.stdin)
        chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
}
process.exitCode = await (0,_cli_js__WEBPACK_IMPORTED_MODULE_0__/* .runCli */ .a)(process.argv.slice(2), {
    stdin: readStdin,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
});

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(655);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
