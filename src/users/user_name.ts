/** User-name validation, re-exported for the users layer (the rules live in src/names.ts). @module */
export { USER_NAME_PATTERN, validateUserName } from "../names.ts";
