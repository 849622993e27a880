# The inventory-consumer-example application, from the Spring Boot jar the Maven build makes. Build context: the repository root
# (docker compose sets it); inventory-consumer-example.Dockerfile.dockerignore sends only that jar.
#   mvn -B -pl inventory-consumer-example -am package -DskipTests
#   docker build -f docker/inventory-consumer-example.Dockerfile -t dedup-consumer/inventory-consumer-example .
FROM eclipse-temurin:17-jre
WORKDIR /app
COPY inventory-consumer-example/target/inventory-consumer-example-*.jar /app/app.jar
# No root needed: the application writes nothing to disk.
USER 10001
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"
ENTRYPOINT ["java", "-jar", "/app/app.jar"]
