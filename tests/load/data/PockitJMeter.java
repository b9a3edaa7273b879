import java.lang.reflect.Field;

/**
 * Runs JMeter non-GUI ("jmeter -n -t plan.jmx -l out.jtl ...") the way /usr/bin/jmeter does.
 *
 * <p>Debian's jmeter 2.13 package is built against a newer XStream (1.4.18+) whose default
 * security refuses every class, so `jmeter -n -t plan.jmx` stops at
 * ForbiddenClassException: org.apache.jmeter.save.ScriptWrapper before running anything. This
 * launcher allows XStream to load the test plan, then hands the same arguments to JMeter's own
 * entry point; the engine, samplers and result writers that make the JTL are JMeter's, unchanged.
 * Everything is reached by reflection, so it runs as a single source file: java -cp JARS this.java
 */
public class PockitJMeter {
    public static void main(String[] args) throws Exception {
        String home = System.getProperty("jmeter.home", "/usr/share/jmeter");
        Class<?> utils = Class.forName("org.apache.jmeter.util.JMeterUtils");
        utils.getMethod("setJMeterHome", String.class).invoke(null, home);
        utils.getMethod("loadJMeterProperties", String.class)
                .invoke(null, home + "/bin/jmeter.properties");
        Field saver = Class.forName("org.apache.jmeter.save.SaveService").getDeclaredField("JMXSAVER");
        saver.setAccessible(true);
        Object xstream = saver.get(null);
        Class<?> permission = Class.forName("com.thoughtworks.xstream.security.TypePermission");
        Object any = Class.forName("com.thoughtworks.xstream.security.AnyTypePermission")
                .getField("ANY").get(null);
        xstream.getClass().getMethod("addPermission", permission).invoke(xstream, any);
        Object jmeter = Class.forName("org.apache.jmeter.JMeter").getDeclaredConstructor().newInstance();
        jmeter.getClass().getMethod("start", String[].class).invoke(jmeter, (Object) args);
    }
}
