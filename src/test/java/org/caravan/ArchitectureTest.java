package org.caravan;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The import rules of docs/architecture.md, over the compiled main classes: the shared mail
 * vocabulary imports nothing of ours, nothing but the runtime that wires it imports the SMTP
 * server, no two packages import each other, directly or round about, and no class is long.
 */
class ArchitectureTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.caravan");
    }

    /** Small classes named by their role: none grows past about 500 lines (a margin of 10%). */
    @Test
    void noMainSourceFileIsLongerThanAbout500Lines() throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            List<String> tooLong = files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> lines(f) > 550).map(f -> f + ": " + lines(f) + " lines").toList();
            assertThat(tooLong).isEmpty();
        }
    }

    private static long lines(Path file) {
        try (Stream<String> l = Files.lines(file)) {
            return l.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void noPackageCycles() {
        slices().matching("org.caravan.(*)..").should().beFreeOfCycles().check(main);
    }

    @Test
    void theMailVocabularyAndMimeImportNothingOfOurs() {
        for (String pkg : new String[] {"mail", "mime"}) {
            classes().that().resideInAPackage("org.caravan." + pkg + "..")
                    // Micrometer records meters where things happen, as SLF4J logs (ADR 0022)
                    .should().onlyDependOnClassesThat().resideInAnyPackage("org.caravan." + pkg + "..", "java..",
                            "javax..", "jakarta..", "org.eclipse.angus..", "org.slf4j..", "io.micrometer..")
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
