package io.fdpass.examples;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.function.BiConsumer;

/**
 * Handles SIGINT and SIGTERM instead of the JVM, which on signal N runs its shutdown hooks and exits with status
 * 128 + N: a server that shut down cleanly should exit 0. Java has no public API for this; {@code sun.misc.Signal}
 * (module jdk.unsupported, exported for exactly such uses) is called reflectively, because javac warns about every
 * direct use of it and offers no way to suppress that warning.
 */
final class Signals {
    private Signals() {
    }

    /**
     * Runs {@code handler} with the signal's name and number, on a thread of the JVM's, whenever signal
     * {@code name} ({@code "INT"}, {@code "TERM"}) arrives, instead of the JVM's shutdown.
     *
     * @throws IllegalArgumentException if this JVM cannot handle that signal (e.g. run with -Xrs, or no such
     *         signal on this platform)
     */
    static void handle(String name, BiConsumer<String, Integer> handler) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Method getName = signalClass.getMethod("getName");
            Method getNumber = signalClass.getMethod("getNumber");
            Object proxy = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {handlerClass},
                    (self, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            handler.accept((String) getName.invoke(args[0]), (Integer) getNumber.invoke(args[0]));
                            yield null;
                        }
                        case "equals" -> self == args[0];
                        case "hashCode" -> System.identityHashCode(self);
                        default -> "SignalHandler[SIG" + name + "]";
                    });
            Object signal = signalClass.getConstructor(String.class).newInstance(name);
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, proxy);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof IllegalArgumentException iae ? iae
                    : new IllegalArgumentException(String.valueOf(e.getCause()), e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalArgumentException("sun.misc.Signal is not available: " + e, e);
        }
    }
}
