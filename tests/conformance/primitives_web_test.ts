/** Runs the Primitives conformance suite against the web back end, directly in Deno. @module */
import { primitives } from "../../src/format/primitives_web.ts";
import { primitivesSuite } from "./primitives_suite.ts";

primitivesSuite(primitives);
