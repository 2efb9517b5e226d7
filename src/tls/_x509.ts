/**
 * The one place that imports @peculiar/x509. Its dependency injection needs a Reflect metadata
 * polyfill installed before the library is first evaluated, so `reflect-metadata` is imported
 * first here and every other file imports the library through this module.
 *
 * @module
 */
import "reflect-metadata";

export * as x509 from "@peculiar/x509";
