/**
 * berth's configuration file ({@code /etc/berth/berth.toml} or {@code berth.json}): {@link
 * dev.berth.engine.config.BerthConfig} reads it, TOML through a small reader of the subset the file
 * is documented in, JSON through berth-spec's reader; the engine registers its runtime handlers
 * when it opens.
 */
package dev.berth.engine.config;
