/**
 * What happened to containers, for {@code berth events} (and later the Docker API's {@code
 * /events}): without a daemon to hold them in memory, every engine process appends its events to
 * one file in the store ({@link EventLog}).
 */
package dev.berth.engine.events;
