"""MF501's Java recogniser: Maven/Gradle builds whose jar the container runs."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from manifesto.fixers._multistage.core import build_view
from manifesto.fixers._multistage.java import _java_major, recognise
from manifesto.fixers._multistage.plan import Artifact, BuildView, Conversion, NoConversion

from manifesto.context import FixContext
from manifesto.cst import parse
from manifesto.images import parse_image

SPRING_POM = """<project>
  <artifactId>demo</artifactId>
  <build><plugins><plugin>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-maven-plugin</artifactId>
  </plugin></plugins></build>
</project>
"""
THIN_POM_WITH_CLASSPATH = """<project>
  <build><plugins><plugin>
    <artifactId>maven-jar-plugin</artifactId>
    <configuration><archive><manifest>
      <addClasspath>true</addClasspath><classpathPrefix>lib/</classpathPrefix>
    </manifest></archive></configuration>
  </plugin></plugins></build>
</project>
"""
PLAIN_POM = "<project><artifactId>tool</artifactId></project>\n"

MAVEN_APP = """\
FROM maven:3.9-eclipse-temurin-17
WORKDIR /app
COPY pom.xml .
RUN mvn -B dependency:go-offline
COPY src ./src
RUN mvn -B package -DskipTests
EXPOSE 8080
CMD ["java", "-jar", "target/demo-0.0.1.jar"]
"""


def _view(text: str, files: Mapping[str, str] | None = None) -> BuildView:
    tree = parse(text)
    ctx = FixContext(text, tree, read_context_file=dict(files or {}).get)
    view = build_view(ctx)
    assert view is not None
    return view


def _converted(text: str, files: Mapping[str, str] | None = None) -> Conversion:
    answer = recognise(_view(text, files))
    assert isinstance(answer, Conversion), answer
    return answer


def _refused(text: str, files: Mapping[str, str] | None = None) -> NoConversion:
    answer = recognise(_view(text, files))
    assert isinstance(answer, NoConversion), answer
    return answer


def test_a_spring_boot_pom_makes_a_jar_that_runs_alone() -> None:
    answer = _converted(MAVEN_APP, {"pom.xml": SPRING_POM})
    assert answer.ecosystem == "java"
    assert answer.runtime_image == "eclipse-temurin:17-jre"
    assert answer.artifacts == (
        Artifact("/app/target/demo-0.0.1.jar", "/app/target/demo-0.0.1.jar"),
    )
    assert answer.build.args_text == "mvn -B package -DskipTests"


def test_a_pom_without_a_class_path_runs_as_before() -> None:
    """A thin jar without Class-Path ran on itself alone in the single stage too."""
    assert isinstance(recognise(_view(MAVEN_APP, {"pom.xml": PLAIN_POM})), Conversion)


def test_a_jar_with_a_class_path_needs_the_files_beside_it() -> None:
    answer = _refused(MAVEN_APP, {"pom.xml": THIN_POM_WITH_CLASSPATH})
    assert "Class-Path" in answer.reason
    assert answer.reason.startswith("the artifact cannot be located")


def test_an_unreadable_pom_is_a_finding_with_a_suggestion() -> None:
    answer = _refused(MAVEN_APP)
    assert "pom.xml cannot be read" in answer.reason
    assert answer.suggestion is not None
    assert answer.suggestion.startswith("FROM eclipse-temurin:17-jre\n")
    assert "COPY --from=build /app/target/demo-0.0.1.jar" in answer.suggestion


def test_the_pom_is_found_through_the_copy_that_put_it_there() -> None:
    text = MAVEN_APP.replace("COPY pom.xml .", "COPY service/pom.xml /app/pom.xml")
    assert isinstance(recognise(_view(text, {"service/pom.xml": SPRING_POM})), Conversion)
    assert isinstance(recognise(_view(text, {"pom.xml": SPRING_POM})), NoConversion)


def test_gradle_build_file_is_read_like_a_pom() -> None:
    text = """\
FROM gradle:8.5-jdk21-alpine
WORKDIR /home/gradle/src
COPY . .
RUN gradle build --no-daemon -x test
CMD ["java", "-jar", "build/libs/api.jar"]
"""
    kotlin = 'plugins { id("org.springframework.boot") version "3.2.0" }\n'
    answer = _converted(text, {"build.gradle.kts": kotlin})
    assert answer.runtime_image == "eclipse-temurin:21-jre"
    assert isinstance(recognise(_view(text)), NoConversion)


@pytest.mark.parametrize(
    ("reference", "major"),
    [
        ("maven:3.9-eclipse-temurin-17", 17),
        ("maven:3.9.6-eclipse-temurin-21-alpine", 21),
        ("maven:3-openjdk-11", 11),
        ("maven:3.8-jdk-8", 8),
        ("maven:3.9-amazoncorretto-17", 17),
        ("gradle:8-jdk17", 17),
        ("gradle:8.5-jdk21-alpine", 21),
        ("gradle:jdk11", 11),
        ("eclipse-temurin:21-jdk", 21),
        ("eclipse-temurin:17", 17),
        ("openjdk:17-jdk-slim", 17),
        ("openjdk:8u342-jdk", 8),
        ("amazoncorretto:17", 17),
        ("maven:latest", None),
        ("maven:3.9", None),
        ("gradle:8-jdk-lts-and-current", None),
        ("openjdk:latest", None),
        ("bitnami/java:17", None),
    ],
)
def test_the_java_major_comes_from_the_tag(reference: str, major: int | None) -> None:
    ref = parse_image(reference)
    assert ref is not None
    assert _java_major(ref) == major


def test_an_unknown_major_is_not_guessed() -> None:
    text = MAVEN_APP.replace("maven:3.9-eclipse-temurin-17", "maven:3.9")
    answer = _refused(text, {"pom.xml": SPRING_POM})
    assert answer.reason.startswith("no runtime image is known")


def test_a_glob_in_a_shell_form_command_is_copied_as_the_same_glob() -> None:
    text = """\
FROM maven:3.9-eclipse-temurin-17
WORKDIR /usr/src/app
COPY . .
RUN mvn -B package spring-boot:repackage
CMD java -jar target/*.jar
"""
    answer = _converted(text)
    assert answer.artifacts == (Artifact("/usr/src/app/target/*.jar", "/usr/src/app/target/"),)


def test_a_glob_in_exec_form_reaches_java_unexpanded() -> None:
    text = """\
FROM maven:3.9-eclipse-temurin-17
WORKDIR /app
COPY . .
RUN mvn -B package spring-boot:repackage
CMD ["java", "-jar", "target/*.jar"]
"""
    assert "unexpanded" in _refused(text).reason


def test_a_jar_moved_by_the_build_is_taken_from_where_the_command_runs_it() -> None:
    text = """\
FROM eclipse-temurin:21-jdk
WORKDIR /src
COPY . .
RUN ./mvnw -B package spring-boot:repackage && cp target/*.jar /app.jar
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /app.jar"]
"""
    answer = _converted(text)
    assert answer.artifacts == (Artifact("/app.jar", "/app.jar"),)
    assert answer.runtime_image == "eclipse-temurin:21-jre"


def test_cd_and_dash_f_name_the_project() -> None:
    text = """\
FROM maven:3.9-eclipse-temurin-17
WORKDIR /src
COPY . .
RUN cd service && mvn -B package spring-boot:repackage
RUN mvn -f tools/pom.xml -B package spring-boot:repackage
CMD ["java", "-jar", "/src/service/target/service.jar"]
"""
    assert _converted(text).artifacts[0].source == "/src/service/target/service.jar"


@pytest.mark.parametrize(
    ("command", "words"),
    [
        pytest.param('CMD ["java", "-cp", "app.jar:lib/*", "com.example.Main"]', "-cp", id="cp"),
        pytest.param('CMD ["java", "com.example.Main"]', "class", id="class"),
        pytest.param('CMD ["java", "-jar", "$JAR"]', "variable", id="variable"),
        pytest.param('CMD ["./start.sh"]', "./start.sh", id="script"),
        pytest.param("CMD java -jar */target/app.jar", "pattern", id="folder-glob"),
        pytest.param(
            'CMD ["java", "-javaagent:/otel.jar", "-jar", "target/app.jar"]',
            "-javaagent",
            id="agent",
        ),
    ],
)
def test_a_command_that_may_need_more_than_the_jar_is_refused(command: str, words: str) -> None:
    text = f"""\
FROM maven:3.9-eclipse-temurin-17
WORKDIR /app
COPY . .
RUN mvn -B package spring-boot:repackage
{command}
"""
    answer = _refused(text)
    assert words in answer.reason


@pytest.mark.parametrize(
    ("step", "words"),
    [
        pytest.param(
            "RUN apt-get update && apt-get install -y fontconfig", "`apt-get`", id="package"
        ),
        pytest.param("RUN useradd app", "`useradd`", id="user"),
        pytest.param(
            "RUN ln -sf /usr/share/zoneinfo/UTC /etc/localtime", "/etc/localtime", id="tz"
        ),
        pytest.param("RUN echo 'prod' > /etc/app.profile", "/etc/app.profile", id="redirect"),
        pytest.param("RUN keytool -importcert -file ca.pem", "`keytool`", id="keytool"),
        pytest.param('RUN ["mvn", "-v"]', "not a shell script", id="exec-form"),
    ],
)
def test_a_step_that_may_prepare_the_runtime_is_refused(step: str, words: str) -> None:
    text = f"""\
FROM maven:3.9-eclipse-temurin-17
WORKDIR /app
{step}
COPY . .
RUN mvn -B package spring-boot:repackage
CMD ["java", "-jar", "target/app.jar"]
"""
    assert words in _refused(text).reason


def test_files_copied_after_the_build_may_be_read_by_the_program() -> None:
    text = """\
FROM maven:3.9-eclipse-temurin-17
WORKDIR /app
COPY . .
RUN mvn -B package spring-boot:repackage
COPY config/ /app/config/
RUN chmod -R a+r /app/config
CMD ["java", "-jar", "target/app.jar"]
"""
    assert _refused(text).reason.startswith("files may be needed at run time")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "FROM maven:3.9-eclipse-temurin-17\nCOPY . .\nRUN mvn package\n"
            'CMD ["mvn", "spring-boot:run"]\n',
            id="build-tool-at-run-time",
        ),
        pytest.param(
            "FROM maven:3.9-eclipse-temurin-17\nCOPY . .\nRUN mvn -B dependency:resolve\n"
            'CMD ["java", "-jar", "app.jar"]\n',
            id="no-jar-built",
        ),
        pytest.param(
            "FROM maven:3.9-eclipse-temurin-17\nCOPY . /tmp/\nRUN mvn -f /tmp/pom.xml package\n",
            id="no-command",
        ),
        pytest.param(
            'FROM golang:1.22\nCOPY . .\nRUN go build -o /app .\nCMD ["/app"]\n', id="not-java"
        ),
    ],
)
def test_not_a_java_build_to_split(text: str) -> None:
    assert recognise(_view(text)) is None
