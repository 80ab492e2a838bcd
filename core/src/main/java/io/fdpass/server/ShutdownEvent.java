package io.fdpass.server;

/**
 * The user event that shuts a connection down gracefully: requests already decoded are answered, then ERROR
 * SHUTTING_DOWN, then the closing rule. Fire it through the pipeline of a connection {@link ServerHandler} serves.
 */
final class ShutdownEvent {
    public static final ShutdownEvent INSTANCE = new ShutdownEvent();

    private ShutdownEvent() {
    }

    @Override
    public String toString() {
        return "ShutdownEvent";
    }
}
