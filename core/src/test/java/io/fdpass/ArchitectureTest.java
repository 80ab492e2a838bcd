package io.fdpass;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package rules of fdpass-core, checked on its compiled classes: each package a feature, none in a cycle with
 * another; the codec the wire alone, with no system call and nothing looked up; the natives depend on nothing of
 * fdpass.
 */
class ArchitectureTest {
    private static JavaClasses core;

    @BeforeAll
    static void importCore() {
        core = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.fdpass");
    }

    @Test
    void noTwoPackagesDependOnEachOther() {
        slices().matching("io.fdpass.(*)..").should().beFreeOfCycles().check(core);
        // io.fdpass itself (what both sides share) is no slice of the above: it must not reach into any of them
        // but the codec, or it would close a cycle with the packages that use it.
        noClasses().that().resideInAPackage("io.fdpass").should().dependOnClassesThat()
                .resideInAnyPackage("io.fdpass.client..", "io.fdpass.confinement..", "io.fdpass.files..",
                        "io.fdpass.internal..", "io.fdpass.server..", "io.fdpass.spi..")
                .check(core);
    }

    @Test
    void theCodecIsTheWireAlone() {
        noClasses().that().resideInAPackage("io.fdpass.codec..").should().dependOnClassesThat()
                .resideInAnyPackage("io.fdpass", "io.fdpass.client..", "io.fdpass.confinement..",
                        "io.fdpass.files..", "io.fdpass.internal..", "io.fdpass.server..", "io.fdpass.spi..")
                .because("the codec is usable without the rest of fdpass").check(core);
        noClasses().that().resideInAPackage("io.fdpass.codec..").should().dependOnClassesThat()
                .resideInAPackage("java.lang.foreign..")
                .because("the codec makes no system call: its transport's reader does").check(core);
        noClasses().that().resideInAPackage("io.fdpass.codec..").should().dependOnClassesThat()
                .haveFullyQualifiedName("java.util.ServiceLoader")
                .because("the codec is given its reader, it does not look one up").check(core);
    }

    @Test
    void theNativesDependOnNothingOfFdpass() {
        noClasses().that().resideInAPackage("io.fdpass.internal..").should().dependOnClassesThat()
                .resideInAnyPackage("io.fdpass", "io.fdpass.client..", "io.fdpass.codec..",
                        "io.fdpass.confinement..", "io.fdpass.files..", "io.fdpass.server..", "io.fdpass.spi..")
                .check(core);
    }
}
