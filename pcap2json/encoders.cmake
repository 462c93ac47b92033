# The JSON encoders and file sink (owned by the "encoder" engineer); pcap2json/CMakeLists.txt
# includes this file and adds these sources to snapflow_pcap2json. Paths relative to pcap2json/.
set(SNAPFLOW_PCAP2JSON_ENCODER_SOURCES
  src/json_writer.cc
  src/encoder_config.cc
  src/document_blocks.cc
  src/document_id.cc
  src/encoder_support.cc
  src/flow_encoder.cc
  src/packet_encoder.cc
  src/file_sink.cc)
