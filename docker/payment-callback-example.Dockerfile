# The payment-callback-example application, from the Spring Boot jar the Maven build makes. Build context: the repository root
# (docker compose sets it); payment-callback-example.Dockerfile.dockerignore sends only that jar.
#   mvn -B -pl payment-callback-example -am package -DskipTests
#   docker build -f docker/payment-callback-example.Dockerfile -t dedup-consumer/payment-callback-example .
FROM eclipse-temurin:17-jre
WORKDIR /app
COPY payment-callback-example/target/payment-callback-example-*.jar /app/app.jar
# No root needed: the application writes nothing to disk.
USER 10001
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"
ENTRYPOINT ["java", "-jar", "/app/app.jar"]
