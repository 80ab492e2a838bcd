package io.fdpass.internal;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/** Where this JVM loads classes from, besides its JDK: what a child JVM needs, and what a confined thread reads. */
public final class ClassPath {
    private ClassPath() {
    }

    /**
     * This JVM's class path and module path together, absolute, with the {@code Class-Path} of each jar's manifest
     * followed (as the class loader does: a manifest-only jar, as surefire may use, names the real entries).
     */
    public static List<Path> entries() {
        Set<Path> entries = new LinkedHashSet<>();
        for (String property : List.of("jdk.module.upgrade.path", "jdk.module.path", "java.class.path")) {
            String value = System.getProperty(property);
            if (value == null || value.isEmpty()) {
                continue;
            }
            for (String entry : value.split(File.pathSeparator)) {
                if (!entry.isEmpty()) {
                    addExpanded(Path.of(entry).toAbsolutePath().normalize(), entries);
                }
            }
        }
        return List.copyOf(entries);
    }

    private static void addExpanded(Path entry, Set<Path> entries) {
        if (!entries.add(entry) || !Files.isRegularFile(entry) || !entry.toString().endsWith(".jar")) {
            return;
        }
        String classPath;
        try (JarFile jar = new JarFile(entry.toFile())) {
            Manifest manifest = jar.getManifest();
            classPath = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
        } catch (IOException e) {
            return; // the class loader cannot read it either
        }
        if (classPath == null) {
            return;
        }
        for (String url : classPath.trim().split("\\s+")) {
            if (url.isEmpty()) {
                continue;
            }
            URI uri = entry.toUri().resolve(url);
            if ("file".equals(uri.getScheme())) {
                addExpanded(Path.of(uri).normalize(), entries);
            }
        }
    }
}
