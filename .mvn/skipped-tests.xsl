<?xml version="1.0" encoding="UTF-8"?>
<!--
  fdpass: surefire/failsafe reports (TEST-*.xml, one per test class) in, one line per class and reason of what its
  tests skipped out, nothing for a class that skipped none:

      skipped io.fdpass.kqueue.KQueueFaultTest, 6 tests: Assumption failed: kqueue is not available: ...
      skipped io.fdpass.examples.PrivilegeIT.oneTest: Assumption failed: needs root

  Surefire prints only how many tests it skipped: for a JUnit assumption (TestAbortedException) its report entry keeps
  the reason in the stack trace alone, which neither its console reporter nor any reporter extension prints. The parent
  pom's antrun execution skipped-tests (and examples' skipped-its) runs this over an index of the reports the build
  just wrote, <reports><f>TEST-a.xml</f><f>TEST-b.xml</f></reports>, names relative to the index; a single report
  works too.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text" encoding="UTF-8"/>

  <!-- The reason of one skipped element: @disabled's or a condition's message, else the exception's first line. -->
  <xsl:template name="reason">
    <xsl:param name="skipped"/>
    <xsl:variable name="text">
      <xsl:choose>
        <xsl:when test="normalize-space($skipped/@message) != ''">
          <xsl:value-of select="$skipped/@message"/>
        </xsl:when>
        <xsl:when test="contains($skipped, '&#10;')">
          <xsl:value-of select="substring-before($skipped, '&#10;')"/>
        </xsl:when>
        <xsl:otherwise>
          <xsl:value-of select="$skipped"/>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:choose>
      <xsl:when test="starts-with($text, 'org.opentest4j.TestAbortedException: ')">
        <xsl:value-of select="normalize-space(substring-after($text, 'org.opentest4j.TestAbortedException: '))"/>
      </xsl:when>
      <xsl:when test="normalize-space($text) = ''">(no reason given)</xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="normalize-space($text)"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="/reports">
    <!-- Names that are not reports (an empty index holds Ant's unset "${...}") are passed over. -->
    <xsl:for-each select="f[starts-with(., 'TEST-')]">
      <xsl:apply-templates select="document(., /)/testsuite"/>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="testsuite">
    <xsl:variable name="suite" select="@name"/>
    <xsl:for-each select="testcase[skipped]">
      <xsl:variable name="reason">
        <xsl:call-template name="reason">
          <xsl:with-param name="skipped" select="skipped"/>
        </xsl:call-template>
      </xsl:variable>
      <!-- The first test skipped for this reason speaks for all of them (a reason's tests are counted). -->
      <xsl:variable name="earlier">
        <xsl:for-each select="preceding-sibling::testcase[skipped]">
          <xsl:variable name="r">
            <xsl:call-template name="reason">
              <xsl:with-param name="skipped" select="skipped"/>
            </xsl:call-template>
          </xsl:variable>
          <xsl:if test="$r = $reason">x</xsl:if>
        </xsl:for-each>
      </xsl:variable>
      <xsl:if test="$earlier = ''">
        <xsl:variable name="same">
          <xsl:for-each select="../testcase[skipped]">
            <xsl:variable name="r">
              <xsl:call-template name="reason">
                <xsl:with-param name="skipped" select="skipped"/>
              </xsl:call-template>
            </xsl:variable>
            <xsl:if test="$r = $reason">x</xsl:if>
          </xsl:for-each>
        </xsl:variable>
        <xsl:text>skipped </xsl:text>
        <xsl:value-of select="$suite"/>
        <xsl:choose>
          <xsl:when test="string-length($same) = 1">
            <xsl:text>.</xsl:text>
            <xsl:value-of select="@name"/>
          </xsl:when>
          <xsl:otherwise>
            <xsl:text>, </xsl:text>
            <xsl:value-of select="string-length($same)"/>
            <xsl:text> tests</xsl:text>
          </xsl:otherwise>
        </xsl:choose>
        <xsl:text>: </xsl:text>
        <xsl:value-of select="$reason"/>
        <xsl:text>&#10;</xsl:text>
      </xsl:if>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
