// Lint rules: typescript-eslint's recommendedTypeChecked set over every TypeScript source in the repo, with
// type information from tsconfig.json (the project service finds it; every .ts file, examples/ included, is in
// its "include", so a new .ts file outside those folders fails the lint until tsconfig.json takes it in).
//
// Chosen, for promise handling (the reason for type-aware linting here):
//   no-floating-promises  a promise nobody awaits or catches; `void p` marks an intended fire-and-forget,
//                          which is only written where p handles its own rejection, with a comment saying so
//   no-misused-promises   an async function where a void callback is expected (event handlers, timers), a
//                          promise in a condition or a spread
//   await-thenable        `await` on something that is not a promise
//   return-await          ("error-handling-correctness-only") `return promise` inside try/catch/finally,
//                          where the catch or finally would not see the promise's rejection
// and the rest of recommendedTypeChecked, which the code meets as it is (unbound-method, only-throw-error,
// no-base-to-string, restrict-template-expressions, no-unnecessary-type-assertion, ...).
// Left out:
//   no-unsafe-assignment, -argument, -call, -member-access, -return  they police values typed `any` (parsed
//     JSON in tests, the Pulumi dynamic provider's inputs, the emulator's request bodies); meeting them means
//     `as` casts that are no safer than the `any`, and they are the slowest rules of the set
//   require-await  every async function without an await here implements a promise-returning interface (a
//     StateStore, a Pulumi program or provider method, a `stop()`); dropping `async` would turn a thrown
//     error into a synchronous throw, so the rule finds nothing to fix
// No --cache: a cached result for one file goes stale when a type it uses changes in another file.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".cache/**", ".state/**", "examples/**/node_modules/**"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/return-await": ["error", "error-handling-correctness-only"],
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // The JavaScript files (the bins and this config) are in no tsconfig: linted without type information.
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The bins are CommonJS launchers of the compiled code.
    files: ["bin/**/*.js"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
