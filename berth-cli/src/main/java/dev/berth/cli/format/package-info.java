/**
 * Output as docker's CLI prints it: Go-template {@code --format} strings, aligned tables, human
 * durations.
 */
package dev.berth.cli.format;
