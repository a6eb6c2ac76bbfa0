# The release image: the binary goreleaser built for the image's platform
# (dockers_v2 in .goreleaser.yaml), on the same base, user, entrypoint and
# command as the Dockerfile that builds from source.
FROM gcr.io/distroless/static-debian12:nonroot
ARG TARGETPLATFORM
COPY ${TARGETPLATFORM}/ninjaops /ninjaops
USER 65532:65532
ENTRYPOINT ["/ninjaops"]
CMD ["baton"]
