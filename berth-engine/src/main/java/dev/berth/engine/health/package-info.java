/**
 * Container healthchecks as docker runs them: the state a probe leaves ({@link HealthState}, kept
 * in a small file beside the container's record, not in it: a probe is no synced record write), the
 * rules that turn a probe's result into the next state, and when the next probe is due. The engine
 * runs one probe ({@code Engine.healthcheck}); berthd schedules them.
 */
package dev.berth.engine.health;
