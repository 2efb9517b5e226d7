/** Runs the Primitives conformance suite against the node back end. @module */
import { primitives } from "../../src/format/primitives_node.ts";
import { primitivesSuite } from "./primitives_suite.ts";

primitivesSuite(primitives);
