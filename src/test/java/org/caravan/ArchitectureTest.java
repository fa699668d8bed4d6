package org.caravan;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The import rules of docs/architecture.md, over the compiled main classes: the shared mail
 * vocabulary imports nothing of ours, nothing but the runtime that wires it imports the SMTP
 * server, and no two packages import each other, directly or round about.
 */
class ArchitectureTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.caravan");
    }

    @Test
    void noPackageCycles() {
        slices().matching("org.caravan.(*)..").should().beFreeOfCycles().check(main);
    }

    @Test
    void theMailVocabularyAndMimeImportNothingOfOurs() {
        for (String pkg : new String[] {"mail", "mime"}) {
            classes().that().resideInAPackage("org.caravan." + pkg + "..")
                    .should().onlyDependOnClassesThat().resideInAnyPackage("org.caravan." + pkg + "..", "java..",
                            "javax..", "jakarta..", "org.eclipse.angus..", "org.slf4j..")
                    .check(main);
        }
    }

    @Test
    void onlyTheRuntimeImportsTheSmtpServer() {
        noClasses().that().resideOutsideOfPackages("org.caravan.smtp..", "org.caravan.runtime..")
                .and().doNotHaveFullyQualifiedName(Caravan.class.getName())
                .should().dependOnClassesThat().resideInAPackage("org.caravan.smtp..")
                .check(main);
    }

    @Test
    void onlyTheEntryPointImportsTheRuntime() {
        noClasses().that().resideOutsideOfPackage("org.caravan.runtime..")
                .and().doNotHaveFullyQualifiedName(Caravan.class.getName())
                .should().dependOnClassesThat().resideInAPackage("org.caravan.runtime..")
                .check(main);
    }

    @Test
    void theSmtpClientAndNextHopsServeTheRelayStageNotTheServer() {
        noClasses().that().resideInAnyPackage("org.caravan.smtp..", "org.caravan.policy..", "org.caravan.routing..",
                        "org.caravan.directory..", "org.caravan.envelope..")
                .should().dependOnClassesThat().resideInAPackage("org.caravan.smtpclient..")
                .check(main);
    }
}
