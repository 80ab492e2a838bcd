package io.fdpass;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import java.util.ServiceLoader;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The codec holds the wire alone (its package-info says so): it makes no system call and finds nothing by itself.
 * What it needs of the socket comes from the channel's transport ({@code FdPassSocketReader}), handed to it.
 */
@AnalyzeClasses(packages = "io.fdpass", importOptions = ImportOption.DoNotIncludeTests.class)
class CodecArchitectureTest {
    private static final String CODEC = "io.fdpass.codec..";

    @ArchTest
    static final ArchRule codecMakesNoSystemCall = noClasses().that().resideInAPackage(CODEC)
            .should().dependOnClassesThat().resideInAPackage("java.lang.foreign..")
            .because("the transports own the socket's system calls (spi), not the wire");

    @ArchTest
    static final ArchRule codecLooksNothingUp = noClasses().that().resideInAPackage(CODEC)
            .should().dependOnClassesThat().belongToAnyOf(ServiceLoader.class, ServiceLoader.Provider.class)
            .because("a decoder is handed its transport's reader");

    @ArchTest
    static final ArchRule codecUsesNoOtherFdpassPackage = noClasses().that().resideInAPackage(CODEC)
            .should().dependOnClassesThat(resideInAPackage("io.fdpass..").and(not(resideInAPackage(CODEC)))
                    .as("reside in io.fdpass.. outside " + CODEC))
            .because("the codec is usable without the rest of fdpass");
}
