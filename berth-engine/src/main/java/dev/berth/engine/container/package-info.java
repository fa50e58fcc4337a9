/**
 * What a user asks of a container ({@link dev.berth.engine.container.ContainerOptions}), as
 * docker's flags say it.
 */
package dev.berth.engine.container;
