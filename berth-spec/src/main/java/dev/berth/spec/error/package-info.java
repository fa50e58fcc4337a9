/**
 * The error categories shared by every layer (runtime, images, engine) and the base exception that
 * carries one. Nothing here maps a category to an exit code or a status: each front door does that
 * once, at its edge.
 */
package dev.berth.spec.error;
